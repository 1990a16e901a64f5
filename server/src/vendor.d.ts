// Packages without type declarations; only what Concord touches is declared.
declare module 'sharedb-redis-pubsub' {
  const RedisPubSub: unknown;
  export default RedisPubSub;
}
