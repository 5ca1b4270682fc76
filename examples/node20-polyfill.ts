// Node 20 lacks Promise.withResolvers, which @restatedev/restate-sdk-clients calls.
// Import this before the clients on Node 20; Node 22 and later need nothing.
const P = Promise as unknown as { withResolvers?: unknown }
if (typeof P.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T> () {
      let settle!: { resolve: (value: T | PromiseLike<T>) => void, reject: (reason?: unknown) => void }
      const promise = new Promise<T>((resolve, reject) => { settle = { resolve, reject } })
      return { promise, ...settle }
    }
  })
}

export {}
