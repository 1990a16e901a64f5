/** Op validation: `createValidator` builds the engine's `Validator`; the rest is exported for tests and tools. */
export { createValidator, type ValidatorOptions } from './create-validator.js';
export { DEFAULT_VALIDATION_LIMITS, type ValidationLimits } from './limits.js';
export { PROTOTYPE_KEYS, RESERVED_TOP_LEVEL_KEYS, isPrototypeKey, isReservedTopLevelKey } from './keys.js';
