/** Every hostile case, by category. */
import type { HostileCase } from '../case.js';
import { authCases } from './auth.js';
import { createDeleteCases } from './create-delete.js';
import { floodCases } from './floods.js';
import { frameCases } from './frames.js';
import { historyCases } from './history.js';
import { identityCases } from './identity.js';
import { json0Cases, json1Cases, richTextCases, staleOpCases, textUnicodeCases } from './ops.js';
import { presenceCases } from './presence.js';
import { protocolCases } from './protocol.js';
import { queryCases } from './queries.js';

export const ALL_CASES: readonly HostileCase[] = [
  ...frameCases, ...protocolCases, ...json0Cases, ...json1Cases, ...richTextCases, ...textUnicodeCases, ...staleOpCases,
  ...createDeleteCases, ...presenceCases, ...queryCases, ...historyCases, ...authCases, ...identityCases, ...floodCases,
];
