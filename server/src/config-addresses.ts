/**
 * Checks of the network addresses in the configuration (HOST, REDIS_URL, MONGO_URL), for loadConfig. Each returns
 * what is wrong as a phrase to follow the variable's name, or undefined. The URLs are never echoed: they may carry a
 * password.
 */
import { isIP } from 'node:net';

/** A DNS host name: labels of letters, digits and inner hyphens. */
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * A host name or an IP address. A name whose last label is all digits is neither (RFC 3696: top-level domains are
 * not numeric): `999.1.1.1` or `1.2.3` is a mistyped address, which listen() would try to resolve by DNS.
 */
export function isHost(host: string): boolean {
  if (isIP(host) !== 0) return true;
  return HOSTNAME.test(host) && !/(^|\.)\d+$/.test(host);
}

/**
 * A URL without a host (`redis://`, `redis://:6379`) is refused: the Redis client would quietly connect to localhost
 * instead, and separate instances would not share their ops.
 */
export function redisUrlProblem(url: string): string | undefined {
  if (!/^(rediss?|unix):\/\//.test(url)) return 'must start with redis://, rediss:// or unix://';
  if (url.startsWith('unix://')) return /^unix:\/\/\/./.test(url) ? undefined : 'needs a socket path, like unix:///run/redis.sock';
  const [host = ''] = authorityHosts(url);
  if (withoutPort(host) === '') return 'needs a host, like redis://redis.internal:6379';
  return URL.canParse(url) ? undefined : 'is not a valid URL';
}

/**
 * A MongoDB connection string names one host or more (`mongodb://a:27017,b:27017/db`); `mongodb+srv://` exactly one
 * host name, without a port, whose DNS SRV record lists the servers.
 */
export function mongoUrlProblem(url: string): string | undefined {
  if (!/^mongodb(\+srv)?:\/\//.test(url)) return 'must start with mongodb:// or mongodb+srv://';
  const withPorts = authorityHosts(url);
  const hosts = withPorts.map(withoutPort);
  if (hosts.some((host) => host === '')) return 'needs a host, like mongodb://db.internal:27017/concord';
  if (!hosts.every((host) => isHost(host.replace(/^\[(.*)\]$/, '$1')))) return 'has a malformed host';
  if (url.startsWith('mongodb+srv://') && (hosts.length > 1 || withPorts[0]!.includes(':'))) {
    return 'with mongodb+srv:// names one host without a port';
  }
  return undefined;
}

/** The comma-separated hosts (with their ports) between `scheme://` and the path, without the user info. */
function authorityHosts(url: string): string[] {
  const authority = /^[a-z+]+:\/\/([^/?#]*)/.exec(url)?.[1] ?? '';
  return authority.slice(authority.lastIndexOf('@') + 1).split(',');
}

/** `host:port` without `:port`; `[v6]:port` as `[v6]`. */
function withoutPort(host: string): string {
  return host.replace(/:\d*$/, '');
}
