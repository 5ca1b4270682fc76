/** The six statuses of the seed schema, and the only moves between them. */
export const STATUSES = ['pending', 'ready', 'running', 'backing-off', 'suspended', 'completed'] as const
export type Status = typeof STATUSES[number]

/**
 * Every legal move. `pending` is inboxed (behind a busy object key) or delayed; `suspended`
 * also covers paused; `completed` is final (purge deletes, restart-as-new makes a new one).
 */
export const ALLOWED_TRANSITIONS: Readonly<Record<Status, readonly Status[]>> = {
  pending: ['ready', 'completed'],
  ready: ['running', 'completed'],
  running: ['suspended', 'backing-off', 'completed'],
  suspended: ['ready', 'completed'],
  'backing-off': ['ready', 'suspended', 'completed'],
  completed: []
}

export function canTransition (from: Status, to: Status): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to)
}

export function isTerminal (status: Status): boolean {
  return status === 'completed'
}

export function isStatus (value: string): value is Status {
  return (STATUSES as readonly string[]).includes(value)
}
