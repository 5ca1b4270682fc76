// Testing an app's Restate calls with node:test and plain fetch, against an in-process emulator
// on a manual clock. Run with `node --test` (or tsx / ts-node for TypeScript).
import { after, before, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { startEmulator, type Emulator } from 'restate-emulator'

describe('payments against the emulator', () => {
  let emulator: Emulator

  before(async () => {
    emulator = await startEmulator({ clock: 'manual', seed: 1 })
  })
  beforeEach(() => emulator.reset())
  after(() => emulator.close())

  async function charge (amount: number, behavior?: string): Promise<string> {
    const res = await fetch(`${emulator.ingressUrl}/PaymentService/charge/send`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(behavior === undefined ? {} : { 'x-emulator-behavior': behavior }) },
      body: JSON.stringify({ amount })
    })
    assert.equal(res.status, 202)
    const { invocationId } = await res.json() as { invocationId: string }
    return invocationId
  }

  it('retries a provider timeout, then captures', async () => {
    const id = await charge(42, 'fail-attempts=1; outcome=success')

    const retrying = await emulator.waitFor(id, 'backing-off')
    assert.equal(retrying.last_failure, '[503] payment provider timed out')

    const done = await emulator.waitFor(id, 'completed')
    assert.equal(done.completion_result, 'success')
    assert.equal(done.retry_count, 1)

    const output = await fetch(`${emulator.ingressUrl}/restate/invocation/${id}/output`)
    assert.equal(output.status, 200)
    assert.deepEqual(await output.json(), { paymentId: `pay_${id}`, amount: 42, status: 'captured' })
  })

  it('reports a declined card as a terminal failure', async () => {
    const id = await charge(13, 'outcome=terminal; code=402; message=card declined')
    await emulator.waitFor(id, 'completed')

    const attach = await fetch(`${emulator.ingressUrl}/restate/invocation/${id}/attach`)
    assert.equal(attach.status, 402)
    assert.deepEqual(await attach.json(), { code: 402, message: 'card declined', source: 'invocation' })
  })

  it('repeats exactly: same seed, same requests, same ids and times', async () => {
    const first = await charge(1)
    const record = await emulator.waitFor(first, 'completed')
    emulator.reset()
    const again = await charge(1)
    assert.equal(again, first)
    assert.deepEqual(await emulator.waitFor(again, 'completed'), record)
  })

  it('lets the test move time by hand', async () => {
    const id = await charge(7, 'duration=30s; outcome=success')
    emulator.clock.advance('29s')
    assert.equal(emulator.invocations.get(id)?.status, 'running')
    emulator.clock.advance('1s')
    assert.equal(emulator.invocations.get(id)?.status, 'completed')
  })
})
