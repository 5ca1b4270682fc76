// How two observations of one scenario are compared. Timing noise is tolerated here, and only in
// the ways written below; deliberate differences are mapped away in deliberate.ts before this.
import type { InvocationRecord } from './observe.js'

/**
 * A status held for less than this (from its first sighting to the next status's) is too short
 * to be observed reliably by a 20 ms poller: e.g. the 2 ms `running` of an attempt that fails at
 * once, or the `ready` step. Such a status is not required to be seen on the other target.
 */
export const SIGNIFICANT_MS = 250

/**
 * Retry delays (from the failure to next_retry_at) must agree within this ratio (emulator /
 * real). The real server adds a jitter of up to about +30 % to each delay (observed: 532..668 ms
 * for 500, 1031..1309 for 1000, 2076..2555 for 2000, 4158..5162 for 4000). The failure's time is
 * only known between two polls, so each delay is a range; two delays agree when some value in
 * each range is within the ratio. A wrong initial interval or factor (x2) is still caught.
 */
export const RETRY_DELAY_RATIO: readonly [number, number] = [0.6, 1.4]

function collapse (xs: string[]): string[] {
  return xs.filter((x, i) => i === 0 || xs[i - 1] !== x)
}

/** Every status seen, in order. */
export function allStatuses (inv: InvocationRecord): string[] {
  return collapse(inv.segments.map(s => s.status))
}

/** The statuses held long enough to be sure to be seen (the current, last one always counts). */
export function significantStatuses (inv: InvocationRecord): string[] {
  return collapse(inv.segments.filter(s => s.ms < 0 || s.ms >= SIGNIFICANT_MS).map(s => s.status))
}

/** True when `needle` appears in `hay` in order (not necessarily contiguous). */
export function isSubsequence (needle: string[], hay: string[]): boolean {
  let i = 0
  for (const h of hay) if (i < needle.length && needle[i] === h) i++
  return i === needle.length
}

/**
 * Statuses agree when each target's significant statuses were also seen, in the same order, on
 * the other one.
 */
export function statusesAgree (real: InvocationRecord, emu: InvocationRecord): boolean {
  return isSubsequence(significantStatuses(real), allStatuses(emu)) &&
    isSubsequence(significantStatuses(emu), allStatuses(real))
}

/** Per retry, emulator / real delay ratio within RETRY_DELAY_RATIO, over the retries both saw. */
export function retryDelaysAgree (real: Array<[number, number]>, emu: Array<[number, number]>): boolean {
  if ((real.length === 0) !== (emu.length === 0)) return false
  const n = Math.min(real.length, emu.length)
  for (let i = 0; i < n; i++) {
    const [rLo, rHi] = real[i]
    const [eLo, eHi] = emu[i]
    // Some e in [eLo, eHi] and r in [rLo, rHi] with e / r in the ratio range.
    if (eHi < RETRY_DELAY_RATIO[0] * rLo || eLo > RETRY_DELAY_RATIO[1] * rHi) return false
  }
  return true
}

/**
 * The final reading as compared. Once completed, only the outcome is compared: the real server
 * clears retry_count, last_failure and next_retry_at on some completions and leaves them on
 * others (e.g. a kill while backing off keeps them), so those are not meaningful there.
 */
export function comparableFinal (real: Record<string, unknown> | undefined, emu: Record<string, unknown> | undefined): [unknown, unknown] {
  const project = (f: Record<string, unknown> | undefined): unknown => {
    if (f === undefined) return 'gone'
    const out: Record<string, unknown> = { ...f }
    // rawStatus is the target's own word: it differs by design (scheduled, paused).
    delete out.rawStatus
    if (out.status === 'completed') {
      delete out.retry_count
      delete out.last_failure
      delete out.next_retry_at
    }
    return out
  }
  const r = project(real)
  const e = project(emu)
  if (typeof r === 'object' && r !== null && typeof e === 'object' && e !== null) {
    const ro = r as Record<string, unknown>
    const eo = e as Record<string, unknown>
    // No retry_count on the real server (see deliberate.ts): nothing to compare it with.
    if (ro.retry_count === null) {
      delete ro.retry_count
      delete eo.retry_count
    }
  }
  return [r, e]
}
