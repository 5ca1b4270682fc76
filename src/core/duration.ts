/**
 * Durations as Restate and humans write them: `500ms`, `10s`, `1m`, `1h30m`, `2d`, ISO 8601
 * `PT10S` / `P1DT2H`, or a bare number of milliseconds.
 */
const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000
}

const FRIENDLY = /^\s*(?:(\d+(?:\.\d+)?)\s*(ms|sec|s|min|m|hr|h|days|day|d)\s*)+$/i
const PART = /(\d+(?:\.\d+)?)\s*(ms|sec|s|min|m|hr|h|days|day|d)/gi
const ISO = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i

/** The longest duration accepted: 100 years, far past any retention or delay, short of the end of time. */
export const MAX_DURATION_MS = 100 * 365.25 * 86_400_000

/** Parses a duration to milliseconds; undefined when the text is not a duration (or too long). */
export function parseDuration (input: string | number): number | undefined {
  const ms = parse(input)
  return ms !== undefined && ms <= MAX_DURATION_MS ? ms : undefined
}

function parse (input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined
  const text = input.trim()
  if (text === '') return undefined
  if (/^\d+(?:\.\d+)?$/.test(text)) return Number(text)
  const iso = ISO.exec(text)
  if (iso !== null && text.toUpperCase() !== 'P' && text.toUpperCase() !== 'PT') {
    const [, d, h, m, s] = iso
    return Math.round((Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3_600 + Number(m ?? 0) * 60 + Number(s ?? 0)) * 1000)
  }
  if (!FRIENDLY.test(text)) return undefined
  let total = 0
  for (const [, amount, unit] of text.matchAll(PART)) total += Number(amount) * UNITS[unit.toLowerCase()]
  return Math.round(total)
}

/** Renders milliseconds the way Restate prints durations (`500ms`, `1m`, `1d`). */
export function formatDuration (ms: number): string {
  if (ms % 86_400_000 === 0 && ms > 0) return `${ms / 86_400_000}d`
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`
  return `${ms}ms`
}
