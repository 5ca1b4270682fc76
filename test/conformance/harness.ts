// Brings up a target (real server + SDK service, or the emulator) and runs scenarios on it.
import '../helpers/polyfill.js'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { conformanceFixture } from './fixture.js'
import { Poller, type Observation } from './observe.js'
import { registerDeployment, startRealServer, type RealServer } from './real-server.js'
import type { Scenario, ScenarioTarget } from './scenarios.js'
import { startService } from './service.js'
import { emulatorTarget, realTarget } from './target.js'

export interface LiveTarget {
  target: ScenarioTarget
  /** Extra facts about the set-up (e.g. the deployment registration answer). */
  info: Record<string, unknown>
  close: () => Promise<void>
}

export async function startRealTarget (): Promise<LiveTarget> {
  let server: RealServer | undefined
  let service: Awaited<ReturnType<typeof startService>> | undefined
  try {
    server = await startRealServer({ inactivityTimeout: '1s' })
    service = await startService()
    const reg = await registerDeployment(server.adminUrl, service.uri)
    // Warm-up: the first call opens the server's connection to the deployment, which makes the
    // first invocations linger in `ready`; no scenario should see that.
    const warm = await fetch(`${server.ingressUrl}/Greeter/greet`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '"warm-up"' })
    if (warm.status !== 200) throw new Error(`warm-up call to the real server failed: ${warm.status} ${await warm.text()}`)
    const base = realTarget(server.ingressUrl, server.adminUrl)
    const poller = new Poller(base)
    const srv = server
    const svc = service
    return {
      target: { ...base, poller },
      info: { registrationStatus: reg.status, serverLog: srv.logFile },
      close: once(async () => {
        await poller.stop()
        await svc.close()
        await srv.stop()
      })
    }
  } catch (err) {
    await service?.close()
    await server?.stop()
    throw err
  }
}

const here = dirname(fileURLToPath(import.meta.url))
export const emulatorEntry = resolve(here, '..', '..', 'src', 'index.ts')

/** True when the emulator's library entry point exists (the lead writes it in src/). */
export function emulatorAvailable (): boolean {
  return existsSync(emulatorEntry)
}

interface EmulatorHandle { ingressUrl: string, adminUrl: string, close: () => Promise<void> }

export async function startEmulatorTarget (): Promise<LiveTarget> {
  // Imported by a computed path so that this suite type-checks before src/index.ts exists.
  const mod = await import(pathToFileURL(join(dirname(emulatorEntry), 'index.js')).href) as {
    startEmulator: (opts: Record<string, unknown>) => Promise<EmulatorHandle>
  }
  const emu = await mod.startEmulator({ ingressPort: 0, adminPort: 0, clock: 'real', seed: 1, fixture: conformanceFixture })
  const base = emulatorTarget(emu.ingressUrl.replace(/\/$/, ''), emu.adminUrl.replace(/\/$/, ''))
  const poller = new Poller(base)
  return {
    target: { ...base, poller },
    info: {},
    close: once(async () => {
      await poller.stop()
      await emu.close()
    })
  }
}

/** Wraps a close function so that calling it twice does the work once. */
function once (fn: () => Promise<void>): () => Promise<void> {
  let p: Promise<void> | undefined
  return async () => { p ??= fn(); await p }
}

export type Outcome = { ok: true, observation: Observation, ms: number } | { ok: false, error: string, ms: number }

/** Runs every scenario on one target, all at once (they use distinct keys), and collects outcomes. */
export async function runAll (target: ScenarioTarget, list: Scenario[]): Promise<Map<string, Outcome>> {
  const out = new Map<string, Outcome>()
  await Promise.all(list.map(async s => {
    const start = Date.now()
    try {
      const observation = await s.run(target)
      out.set(s.name, { ok: true, observation, ms: Date.now() - start })
    } catch (err) {
      out.set(s.name, { ok: false, error: String((err as Error).stack ?? err), ms: Date.now() - start })
    }
  }))
  return out
}
