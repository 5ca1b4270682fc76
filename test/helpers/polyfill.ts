// Node 20 lacks Promise.withResolvers, which @restatedev/restate-sdk-clients 1.17 calls.
// Import this module before the client.
const P = Promise as unknown as { withResolvers?: unknown }
if (typeof P.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T> () {
      let resolve!: (value: T | PromiseLike<T>) => void
      let reject!: (reason?: unknown) => void
      const promise = new Promise<T>((_resolve, _reject) => { resolve = _resolve; reject = _reject })
      return { promise, resolve, reject }
    }
  })
}

export {}
