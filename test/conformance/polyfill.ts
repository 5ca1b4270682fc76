// Node 20 lacks Promise.withResolvers, which @restatedev/restate-sdk and
// @restatedev/restate-sdk-clients 1.17 call. Import this module before either.
const P = Promise as unknown as { withResolvers?: unknown }
if (typeof P.withResolvers !== 'function') {
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    value: function withResolvers<T> () {
      let res!: (value: T | PromiseLike<T>) => void
      let rej!: (reason?: unknown) => void
      const promise = new Promise<T>((resolve, reject) => { res = resolve; rej = reject })
      return { promise, resolve: res, reject: rej }
    }
  })
}

export {}
