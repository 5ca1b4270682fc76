import type { HandlerBehavior } from './behavior.js'
import { parseDuration } from './duration.js'
import { badRequest } from './errors.js'

/** The per-call header that overrides one invocation's behaviour. */
export const BEHAVIOR_HEADER = 'x-emulator-behavior'

const KEYS = ['duration', 'fail-attempts', 'outcome', 'code', 'message', 'suspend', 'output']

/**
 * Parses `key=value; key=value` into a behaviour that replaces the handler's for one call.
 * Throws a 400 naming the bad part.
 */
export function parseBehaviorHeader (text: string, base: HandlerBehavior): HandlerBehavior {
  const out: HandlerBehavior = { ...base }
  let outcome: string | undefined
  let code: number | undefined
  let message: string | undefined
  for (const raw of text.split(';')) {
    const part = raw.trim()
    if (part === '') continue
    const eq = part.indexOf('=')
    if (eq <= 0) throw bad(`'${part}' is not key=value`)
    const key = part.slice(0, eq).trim().toLowerCase()
    const value = percentDecode(part.slice(eq + 1).trim())
    switch (key) {
      case 'duration': {
        const ms = parseDuration(value)
        if (ms === undefined) throw bad(`duration '${value}' is not a duration`)
        out.duration = ms
        break
      }
      case 'fail-attempts': {
        if (!/^\d+$/.test(value)) throw bad(`fail-attempts '${value}' is not a whole number`)
        out.transient = { ...base.transient, firstAttempts: Number(value), probability: undefined }
        break
      }
      case 'outcome':
        if (value !== 'success' && value !== 'terminal') throw bad(`outcome '${value}' must be success or terminal`)
        outcome = value
        break
      case 'code':
        if (!/^\d{3}$/.test(value) || Number(value) < 400 || Number(value) > 599) throw bad(`code '${value}' must be an HTTP error code (400-599)`)
        code = Number(value)
        break
      case 'message':
        message = value
        break
      case 'suspend': {
        const ms = parseDuration(value)
        if (ms === undefined) throw bad(`suspend '${value}' is not a duration`)
        out.suspend = { probability: 1, duration: ms }
        break
      }
      case 'output':
        try {
          out.output = { value: JSON.parse(value) }
        } catch {
          throw bad(`output '${value}' is not JSON`)
        }
        break
      default:
        throw bad(`unknown key '${key}' (known: ${KEYS.join(', ')})`)
    }
  }
  if (outcome === 'success') {
    delete out.terminal
    if (out.transient?.firstAttempts === undefined) delete out.transient
    else out.transient = { ...out.transient, probability: undefined }
  } else if (outcome === 'terminal' || code !== undefined || message !== undefined) {
    if (outcome === 'terminal' || base.terminal !== undefined) {
      out.terminal = { probability: 1, code: code ?? base.terminal?.code ?? 500, message: message ?? base.terminal?.message ?? 'terminal failure' }
    } else if (out.transient !== undefined) {
      out.transient = { ...out.transient, ...(code === undefined ? {} : { code }), ...(message === undefined ? {} : { message }) }
    } else {
      throw bad('code and message need outcome=terminal or fail-attempts')
    }
  }
  return out
}

/**
 * Values may carry `;` (or any byte) percent-encoded, e.g. `output=%7B%22a%22%3A1%3B%7D`; a `%`
 * that does not start a valid escape stays as it is ("50% off").
 */
function percentDecode (value: string): string {
  return value.replace(/(?:%[0-9A-Fa-f]{2})+/g, run => {
    try {
      return decodeURIComponent(run)
    } catch {
      return run
    }
  })
}

function bad (what: string): Error {
  return badRequest(`invalid ${BEHAVIOR_HEADER} header: ${what}`)
}
