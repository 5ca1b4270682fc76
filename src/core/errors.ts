/**
 * Domain errors. Each carries the HTTP status it maps to and, for the ingress, Restate's
 * error source; the HTTP layer turns them into Restate's bodies in one place.
 */
export type ErrorSource = 'ingress' | 'invocation'

export class EmulatorError extends Error {
  readonly statusCode: number
  readonly source: ErrorSource

  constructor (statusCode: number, message: string, source: ErrorSource = 'ingress') {
    super(message)
    this.name = 'EmulatorError'
    this.statusCode = statusCode
    this.source = source
  }
}

export const notFound = (message: string): EmulatorError => new EmulatorError(404, message)
export const badRequest = (message: string, source: ErrorSource = 'ingress'): EmulatorError =>
  new EmulatorError(400, message, source)
export const conflict = (message: string): EmulatorError => new EmulatorError(409, message)
export const unavailable = (message: string): EmulatorError => new EmulatorError(503, message)
