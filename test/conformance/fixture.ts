// The emulator's description of the SDK service in service.ts. Durations are tuned so that the
// emulator's statuses last about as long as the real server's do with that service and a 1 s
// inactivity timeout (e.g. Sleeper.sleep: the real server keeps the invocation `running` for the
// 1 s inactivity timeout before it suspends, then wakes it at 3 s).
export const conformanceFixture = {
  services: [
    {
      name: 'Greeter',
      type: 'service',
      handlers: {
        greet: { duration: '10ms', output: { template: 'Hello {{input}}!' } },
        slow: { duration: '2500ms', output: { template: 'Hello {{input}}!' } }
      }
    },
    {
      name: 'Sleeper',
      type: 'service',
      handlers: {
        sleep: { duration: '1s', suspend: { probability: 1, duration: '2s' }, output: { value: 'slept' } },
        long: { duration: '1s', suspend: { probability: 1, duration: '59s' }, output: { value: 'slept' } }
      }
    },
    {
      name: 'Flaky',
      type: 'service',
      handlers: {
        twice: { duration: '15ms', transient: { firstAttempts: 2, code: 500, message: 'boom transient' }, output: { value: 'ok' } },
        always: { duration: '15ms', transient: { probability: 1, code: 500, message: 'boom transient' } },
        terminal: { duration: '5ms', terminal: { code: 422, message: 'nope' } },
        pauses: {
          duration: '15ms',
          transient: { probability: 1, code: 500, message: 'boom transient' },
          retryPolicy: { initialInterval: '200ms', maxAttempts: 3, onMaxAttempts: 'pause' }
        },
        kills: {
          duration: '15ms',
          transient: { probability: 1, code: 500, message: 'boom transient' },
          retryPolicy: { initialInterval: '200ms', maxAttempts: 3, onMaxAttempts: 'kill' }
        }
      }
    },
    {
      name: 'Counter',
      type: 'virtual_object',
      handlers: {
        add: { kind: 'exclusive', duration: '1s' },
        get: { kind: 'shared', duration: '5ms' }
      }
    },
    {
      name: 'Signup',
      type: 'workflow',
      handlers: {
        run: { kind: 'workflow', duration: '1500ms', output: { template: 'welcome {{input}}' } }
      }
    }
  ]
}
