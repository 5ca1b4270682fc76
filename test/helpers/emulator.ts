import type { Test } from 'tap'
import { createEmulator, startEmulator, type Emulator, type EmulatorInstance, type EmulatorOptions } from '../../src/index.js'
import { assertInvocationsIn } from './schema.js'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import type { Fixture, Invocation } from '../../src/index.js'

/** A small fixture most tests share: a service, an object, a workflow, a flaky and a failing handler. */
export const TEST_FIXTURE: Fixture = {
  services: [
    { name: 'Greeter', type: 'service', handlers: { greet: { duration: '100ms', output: { template: 'Hello, {{input}}!' } } } },
    {
      name: 'Flaky',
      type: 'service',
      handlers: {
        twice: { duration: '10ms', transient: { firstAttempts: 2, code: 500, message: 'boom transient' }, output: { value: 'ok' } },
        always: { duration: '10ms', transient: { probability: 1, code: 500, message: 'boom transient' } },
        terminal: { duration: '10ms', terminal: { code: 422, message: 'nope' } },
        sleepy: { duration: '10ms', suspend: { duration: '1h' }, output: { value: 'woke' } }
      }
    },
    {
      name: 'Counter',
      type: 'virtual_object',
      handlers: { add: { kind: 'exclusive', duration: '1s', output: { echo: true } }, get: { kind: 'shared', duration: '10ms', output: { value: 0 } } }
    },
    { name: 'Limited', type: 'service', concurrency: 1, handlers: { work: { duration: '1s' } } },
    {
      name: 'Signup',
      type: 'workflow',
      handlers: { run: { kind: 'workflow', duration: '2s', output: { template: 'welcome {{key}}' } }, status: { kind: 'shared', duration: '5ms' } }
    }
  ]
}

/** An in-process emulator on a manual clock, closed after the test. */
export async function manualEmulator (t: Test, options: EmulatorOptions = {}): Promise<EmulatorInstance> {
  const emu = await createEmulator({ clock: 'manual', seed: 1, fixture: TEST_FIXTURE, ...options })
  t.teardown(() => emu.close())
  return emu
}

/** A listening emulator (random ports), closed after the test. */
export async function listeningEmulator (t: Test, options: EmulatorOptions = {}): Promise<Emulator> {
  const emu = await startEmulator({ seed: 1, fixture: TEST_FIXTURE, ...options })
  t.teardown(() => emu.close())
  return emu
}

/** `inject()` that checks every invocation in a JSON response against the seed schema. */
export async function checked (inject: (o: InjectOptions) => Promise<LightMyRequestResponse>, options: InjectOptions): Promise<LightMyRequestResponse> {
  const res = await inject(options)
  if ((res.headers['content-type'] ?? '').toString().includes('json') && res.body !== '') {
    assertInvocationsIn(JSON.parse(res.body))
  }
  return res
}

/** Resolves with the next event of `type` (optionally for one invocation) that the emulator emits. */
export function nextEvent (emu: EmulatorInstance, type: 'created' | 'transition' | 'updated' | 'purged', id?: string): Promise<Invocation> {
  return new Promise(resolve => {
    const off = emu.core.engine.on(event => {
      if (event.type === type && (id === undefined || event.invocation.id === id)) {
        off()
        resolve(structuredClone(event.invocation))
      }
    })
  })
}
