/** `GET / PUT / DELETE /api/docs/:collection/:id/acl`: a document's grants, for its owner and admins. */
import { Router, type Request } from 'express';
import { ConcordError, isValidName } from '@concord/shared';
import type { AclService } from '../../policy/authorize/acl-service.js';
import { sessionOf } from './rest-session.js';

type Params = { collection: string; id: string };

export function aclRouter(acl: AclService): Router {
  const router = Router();
  router.get('/docs/:collection/:id/acl', async (req: Request<Params>, res) => {
    const { collection, id } = names(req);
    res.json({ grants: await acl.get(sessionOf(res), collection, id) });
  });
  router.put('/docs/:collection/:id/acl', async (req: Request<Params>, res) => {
    const { collection, id } = names(req);
    res.json({ grants: await acl.replace(sessionOf(res), collection, id, req.body) });
  });
  router.delete('/docs/:collection/:id/acl', async (req: Request<Params>, res) => {
    const { collection, id } = names(req);
    res.json({ grants: await acl.clear(sessionOf(res), collection, id) });
  });
  return router;
}

function names(req: Request<Params>): Params {
  const { collection, id } = req.params;
  if (!isValidName(collection) || !isValidName(id)) {
    throw new ConcordError('ERR_INVALID_NAME', 'collection and id must be 1-200 characters of letters, digits, _ - . :');
  }
  return { collection, id };
}
