/** Who is behind a connection or a REST request. */
export interface Principal {
  /** Stable user id (the token's `sub`). */
  readonly sub: string;
  /** Display name, shown to other users in presence. */
  readonly name?: string;
  /** Roles the authorization rules match on; `admin` may do everything. */
  readonly roles: readonly string[];
  /** When the credentials expire (epoch ms, the token's `exp`); a WebSocket session is closed with 4401 then. */
  readonly expiresAt?: number;
}

/** The principal every connection gets when the server runs without authentication. */
export const ANONYMOUS: Principal = Object.freeze({ sub: 'anonymous', roles: Object.freeze(['anonymous']) });

/** What the engine knows about one client session (a WebSocket connection or a REST request). */
export interface Session {
  readonly principal: Principal;
  /** Client address as the transport sees it (after TRUST_PROXY). */
  readonly remoteAddress: string;
  /** `ws` for WebSocket connections, `rest` for HTTP requests, `internal` for server-side connections. */
  readonly transport: 'ws' | 'rest' | 'internal';
}
