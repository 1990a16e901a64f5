import type ShareDB from 'sharedb';
import { ConcordError } from '@concord/shared';
import type { AccessStore } from '../storage/access/access-store.js';
import { use, sessionOf } from '../engine/middleware.js';

/**
 * Documents one user may own per collection (`collections.<name>.quota` in CONFIG_FILE). Checked when a document is
 * created, against the owners the access store records; two creates racing at the limit may both pass.
 */
export function installQuotas(backend: ShareDB, access: AccessStore | undefined, quotas: Readonly<Record<string, number>>): void {
  if (!access || Object.keys(quotas).length === 0) return;
  // Synchronous for every submit but a create (see `use` on why a needless promise costs latency).
  use(backend, 'submit', (request) => {
    if (!request.op.create) return;
    const quota = quotas[request.collection] ?? quotas['*'];
    const sub = sessionOf(request.agent)?.principal.sub;
    if (quota === undefined || sub === undefined) return;
    return access.idsOwnedBy(request.collection, sub).then((owned) => {
      if (owned.length >= quota) {
        throw new ConcordError('ERR_QUOTA_EXCEEDED', `${sub} already owns ${owned.length} documents in ${request.collection} (quota ${quota})`);
      }
    });
  });
}

/** `collections.<name>.quota` values from a parsed CONFIG_FILE (validated: a positive integer, else a problem). */
export function readQuotas(file: Record<string, unknown> | undefined, problems: string[]): Record<string, number> {
  const quotas: Record<string, number> = {};
  const collections = file?.['collections'];
  if (!collections || typeof collections !== 'object') return quotas;
  for (const [name, entry] of Object.entries(collections as Record<string, unknown>)) {
    const quota = (entry as { quota?: unknown } | null)?.quota;
    if (quota === undefined) continue;
    if (!Number.isSafeInteger(quota) || (quota as number) < 1) problems.push(`CONFIG_FILE: collections.${name}.quota must be a positive integer`);
    else quotas[name] = quota as number;
  }
  return quotas;
}
