/**
 * quill-delta is CommonJS (`module.exports = Delta; module.exports.default = Delta`). TypeScript (NodeNext) types
 * its default import as the namespace, so the class is taken from `.default`, which exists at runtime in Node and in
 * bundles alike.
 */
import DeltaModule from 'quill-delta';

export const Delta = DeltaModule.default;
export type Delta = InstanceType<typeof Delta>;
export type { Op as DeltaOp } from 'quill-delta';
