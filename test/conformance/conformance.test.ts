// Conformance: every scenario runs on the real Restate server (installed on demand into
// .cache/restate-server) and on the emulator, and what they showed is compared.
//
//   npm run test:conformance                         both targets
//   CONFORMANCE_TARGETS=real npm run test:conformance   the real server only (facts gathering)
//   CONFORMANCE_SELF_CHECK=1 npm run test:conformance   compares the real server with a second
//                                                       real server (checks the tolerances: it must pass)
//
// Observations of both targets are written to .cache/conformance/ for inspection.
import '../helpers/polyfill.js'
import t, { type Test } from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { allStatuses, comparableFinal, retryDelaysAgree, significantStatuses, statusesAgree, RETRY_DELAY_RATIO, SIGNIFICANT_MS } from './compare.js'
import { NOT_COMPARED } from './deliberate.js'
import { emulatorAvailable, emulatorEntry, runAll, startEmulatorTarget, startRealTarget, type LiveTarget, type Outcome } from './harness.js'
import type { Observation } from './observe.js'
import { scenarios } from './scenarios.js'

t.setTimeout(6 * 60_000)

const outDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '.cache', 'conformance')
mkdirSync(outDir, { recursive: true })

const targets = (process.env.CONFORMANCE_TARGETS ?? 'real,emulator').split(',').map(s => s.trim())

async function runOn (t: Test, name: string, start: () => Promise<LiveTarget>): Promise<Map<string, Outcome>> {
  const started = Date.now()
  // No catch: if the target cannot be installed or started, the suite fails here, loudly.
  const live = await start()
  t.teardown(live.close)
  try {
    const outcomes = await runAll(live.target, scenarios)
    writeFileSync(join(outDir, `${name}-observations.json`), JSON.stringify(Object.fromEntries(outcomes), null, 2))
    t.comment(`${name}: ${scenarios.length} scenarios in ${Date.now() - started} ms (observations in .cache/conformance/${name}-observations.json)`)
    return outcomes
  } finally {
    await live.close()
  }
}

let real: Map<string, Outcome> | undefined

t.test('the real server (restate-server, installed on demand) runs every scenario', async t => {
  real = await runOn(t, 'real', startRealTarget)
  for (const s of scenarios) {
    const o = real.get(s.name)
    t.ok(o?.ok, `real: ${s.name}`, o?.ok === false ? { error: o.error } : {})
  }
})

t.test('the emulator answers like the real server', async t => {
  if (!targets.includes('emulator')) {
    t.comment('CONFORMANCE_TARGETS excludes the emulator: compared nothing')
    return
  }
  const selfCheck = process.env.CONFORMANCE_SELF_CHECK === '1'
  if (!selfCheck && !emulatorAvailable()) {
    t.fail(`the emulator's entry point ${emulatorEntry} does not exist: nothing to compare the real server with`)
    return
  }
  if (real === undefined) {
    t.fail('the real server did not run: nothing to compare with')
    return
  }
  const realOutcomes = real
  const emu = selfCheck ? await runOn(t, 'real-again', startRealTarget) : await runOn(t, 'emulator', startEmulatorTarget)
  const report: Record<string, unknown> = {}
  for (const s of scenarios) {
    await t.test(`${s.name}: ${s.about}`, async t => {
      const r = realOutcomes.get(s.name)
      const e = emu.get(s.name)
      if (r?.ok !== true) {
        t.fail('the real server did not complete this scenario', { error: r?.ok === false ? r.error : 'missing' })
        return
      }
      if (e?.ok !== true) {
        t.fail('the emulator did not complete this scenario', { error: e?.ok === false ? e.error : 'missing' })
        return
      }
      const diffs = compareScenario(t, s.name, r.observation, e.observation)
      if (diffs.length > 0) report[s.name] = diffs
    })
  }
  writeFileSync(join(outDir, 'differences.json'), JSON.stringify(report, null, 2))
  t.comment(`differences: .cache/conformance/differences.json (${Object.keys(report).length} scenarios differ)`)
})

/** Compares one scenario's observations; returns the differences found (for the report file). */
function compareScenario (t: Test, scenario: string, real: Observation, emu: Observation): unknown[] {
  const diffs: unknown[] = []
  const note = (what: string, ok: boolean, realV: unknown, emuV: unknown): void => {
    if (!ok) diffs.push({ what, real: realV ?? null, emulator: emuV ?? null })
  }

  for (const section of ['http', 'client'] as const) {
    const labels = new Set([...Object.keys(real[section]), ...Object.keys(emu[section])])
    for (const label of labels) {
      const key = `${scenario}.${section}.${label}`
      if (key in NOT_COMPARED) {
        t.comment(`not compared: ${key} (${NOT_COMPARED[key]})`)
        continue
      }
      const rv = real[section][label]
      const ev = emu[section][label]
      note(`${section}.${label}`, t.same(ev, rv, `${section}.${label} (emulator vs real)`), rv, ev)
    }
  }

  const labels = new Set([...Object.keys(real.invocations), ...Object.keys(emu.invocations)])
  for (const label of labels) {
    const ri = real.invocations[label]
    const ei = emu.invocations[label]
    if (ri === undefined || ei === undefined) {
      note(`invocations.${label}`, t.fail(`${label} seen on one target only`, { real: ri !== undefined, emulator: ei !== undefined }), ri !== undefined, ei !== undefined)
      continue
    }
    const statuses = {
      real: { all: allStatuses(ri), significant: significantStatuses(ri), segments: ri.segments },
      emulator: { all: allStatuses(ei), significant: significantStatuses(ei), segments: ei.segments }
    }
    note(`${label}.statuses`, t.ok(statusesAgree(ri, ei),
      `${label} statuses: each target's statuses held >= ${SIGNIFICANT_MS} ms were seen in order on the other`, statuses), statuses.real, statuses.emulator)
    note(`${label}.backingOffRetryCounts`, t.same(ei.backingOffRetryCounts, ri.backingOffRetryCounts, `${label} retry_count while backing-off`),
      ri.backingOffRetryCounts, ei.backingOffRetryCounts)
    note(`${label}.retryDelaysMs`, t.ok(retryDelaysAgree(ri.retryDelaysMs, ei.retryDelaysMs),
      `${label} retry delays agree within x${RETRY_DELAY_RATIO[0]}..x${RETRY_DELAY_RATIO[1]}`, { real: ri.retryDelaysMs, emulator: ei.retryDelaysMs }),
    ri.retryDelaysMs, ei.retryDelaysMs)
    note(`${label}.lastFailures`, t.same(ei.lastFailures, ri.lastFailures, `${label} last_failure values seen`), ri.lastFailures, ei.lastFailures)
    const [rf, ef] = comparableFinal(ri.final, ei.final)
    note(`${label}.final`, t.same(ef, rf, `${label} final reading`), rf, ef)
  }
  return diffs
}
