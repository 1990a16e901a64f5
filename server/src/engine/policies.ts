/**
 * The policy seams: authentication, authorization, validation and limits. Each is a small interface with a default
 * that allows everything, so the engine and transports are wired once and the security layer only supplies
 * implementations.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { TypeName } from '@concord/shared';
import { ANONYMOUS, type Principal } from './principal.js';

/** What a client presented: a token (header, query or in-band message) and the request it came with. */
export interface Credentials {
  /** Bearer token, if any was presented. */
  readonly token?: string;
  readonly headers: IncomingHttpHeaders;
  readonly remoteAddress: string;
}

export interface Authenticator {
  /** True when a connection without valid credentials must be refused (4401 / 401). */
  readonly required: boolean;
  /** Resolves the principal, or rejects with a ConcordError `ERR_UNAUTHENTICATED`. */
  authenticate(credentials: Credentials): Promise<Principal>;
}

/** Everything an authorization decision may depend on. */
export type Action = 'read' | 'create' | 'write' | 'delete' | 'presence' | 'purge' | 'share' | 'admin';

export interface AccessRequest {
  readonly principal: Principal;
  readonly action: Action;
  readonly collection: string;
  /** Absent for collection-wide actions such as queries. */
  readonly id?: string;
}

export interface Authorizer {
  /**
   * True (or a promise of true) when the principal may perform the action. Answer synchronously when the decision
   * needs no I/O: a submit then goes on without waiting for a microtask.
   */
  authorize(request: AccessRequest): boolean | Promise<boolean>;
}

/**
 * Runs `settle` on an authorizer's decision: at once when it is a boolean, after it when it is a promise, so that
 * middleware stays synchronous when the authorizer is (see `use` in middleware.ts on why that matters).
 */
export function onDecision<T>(
  decision: boolean | Promise<boolean>,
  settle: (allowed: boolean) => T | Promise<T>,
): T | Promise<T> {
  return typeof decision === 'boolean' ? settle(decision) : decision.then(settle);
}

/** An op about to be applied, as the validator sees it. */
export interface OpCandidate {
  readonly collection: string;
  readonly id: string;
  readonly type: TypeName;
  /** The document data before the op. */
  readonly data: unknown;
  /** The op (edit ops only; creates and deletes are described by `create` / `del`). */
  readonly op?: unknown;
  readonly create?: { readonly type: TypeName; readonly data: unknown };
  readonly del?: boolean;
}

export interface Validator {
  /** Throws a ConcordError (usually `ERR_OP_INVALID`) when the op must not be applied. */
  validateOp(candidate: OpCandidate): void;
}

export const allowAllAuthenticator: Authenticator = {
  required: false,
  authenticate: () => Promise.resolve(ANONYMOUS),
};

export const allowAllAuthorizer: Authorizer = {
  authorize: () => true,
};

export const allowAllValidator: Validator = {
  validateOp: () => undefined,
};

/** The policies the engine and transports consult. */
export interface Policies {
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly validator: Validator;
}

export const ALLOW_ALL: Policies = {
  authenticator: allowAllAuthenticator,
  authorizer: allowAllAuthorizer,
  validator: allowAllValidator,
};
