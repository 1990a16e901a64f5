/**
 * The `acl` routes' logic: read, replace and clear a document's grants. Only who may `share` the document (its
 * owner, unless the collection's owner rule leaves `share` out, and admins) may do either; a document that does not
 * exist is 404 for them. Changes go through the AccessCache, so they apply on this instance at once and on the
 * others within its TTL.
 */
import { ConcordError } from '@concord/shared';
import type ShareDB from 'sharedb';
import type { Authorizer } from '../../engine/policies.js';
import type { Session } from '../../engine/principal.js';
import type { AccessStore, Grant } from '../../storage/access/access-store.js';
import { canonicalGrants } from '../../storage/access/access-store.js';

/** Grants per document; more is a 400. */
export const MAX_GRANTS = 1000;

export class AclService {
  private readonly db: ShareDB.DB;
  private readonly authorizer: Authorizer;
  private readonly access: AccessStore | undefined;

  constructor(db: ShareDB.DB, authorizer: Authorizer, access: AccessStore | undefined) {
    this.db = db;
    this.authorizer = authorizer;
    this.access = access;
  }

  async get(session: Session, collection: string, id: string): Promise<Grant[]> {
    const access = await this.checkShare(session, collection, id);
    return canonicalGrants((await access.get(collection, id)).grants);
  }

  /** Replaces the grants with `body.grants` (validated); resolves with the grants as stored. */
  async replace(session: Session, collection: string, id: string, body: unknown): Promise<Grant[]> {
    const grants = parseGrants(body);
    const access = await this.checkShare(session, collection, id);
    await access.setGrants(collection, id, grants);
    return canonicalGrants(grants);
  }

  async clear(session: Session, collection: string, id: string): Promise<Grant[]> {
    const access = await this.checkShare(session, collection, id);
    await access.setGrants(collection, id, []);
    return [];
  }

  private async checkShare(session: Session, collection: string, id: string): Promise<AccessStore> {
    if (!this.access) throw new ConcordError('ERR_NOT_FOUND', 'sharing needs a storage that keeps document owners');
    const allowed = await this.authorizer.authorize({ principal: session.principal, action: 'share', collection, id });
    if (!allowed) throw new ConcordError('ERR_FORBIDDEN', 'only the owner of the document or an admin may see or change its sharing');
    if (!(await this.exists(collection, id))) throw new ConcordError('ERR_DOC_NOT_FOUND', 'document not found');
    return this.access;
  }

  private exists(collection: string, id: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.db.getSnapshot(collection, id, null, null, (err, snapshot) => (err ? reject(err) : resolve(snapshot?.type != null)));
    });
  }
}

/** `{"grants": [{"sub"|"role": name, "access": "read"|"write"}, ...]}`, or ERR_BAD_REQUEST naming the problem. */
export function parseGrants(body: unknown): Grant[] {
  const list = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>)['grants'] : undefined;
  if (!Array.isArray(list)) throw new ConcordError('ERR_BAD_REQUEST', 'the body must be {"grants": [{"sub" or "role", "access"}, ...]}');
  if (list.length > MAX_GRANTS) throw new ConcordError('ERR_BAD_REQUEST', `at most ${MAX_GRANTS} grants per document`);
  return list.map((item, index) => parseGrant(item, index));
}

function parseGrant(item: unknown, index: number): Grant {
  const bad = (why: string): ConcordError => new ConcordError('ERR_BAD_REQUEST', `grants[${index}] ${why}`);
  if (item === null || typeof item !== 'object' || Array.isArray(item)) throw bad('must be an object');
  const grant = item as Record<string, unknown>;
  const keys = Object.keys(grant).sort().join(',');
  if (keys !== 'access,sub' && keys !== 'access,role') throw bad('must have exactly "access" and one of "sub" or "role"');
  const name = grant['sub'] ?? grant['role'];
  if (typeof name !== 'string' || name.length < 1 || name.length > 200) throw bad('names a user or role of 1-200 characters');
  const access = grant['access'];
  if (access !== 'read' && access !== 'write') throw bad('access must be "read" or "write"');
  return 'sub' in grant ? { sub: name, access } : { role: name, access };
}
