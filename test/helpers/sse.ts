import { request, type IncomingMessage } from 'node:http'

/** One Server-Sent Events message as the spec dispatches it. */
export interface SseMessage {
  /** The `id:` field, or undefined when the message had none. */
  id: string | undefined
  /** The `event:` field; `message` when absent, as in browsers. */
  event: string
  data: string
}

/** An open event stream over a real socket, read message by message. */
export interface SseStream {
  readonly status: number
  readonly headers: IncomingMessage['headers']
  /** Comment lines (`: …`) received so far, without the colon. */
  readonly comments: string[]
  /** The `retry:` value the server sent, if any. */
  readonly retry: number | undefined
  /** The next message, waiting for it if needed; rejects when the stream ends first or after `timeoutMs`. */
  next(timeoutMs?: number): Promise<SseMessage>
  /** The next `n` messages. */
  take(n: number, timeoutMs?: number): Promise<SseMessage[]>
  /** Messages received and not yet taken, without waiting. */
  drain(): SseMessage[]
  /** Resolves when the server ends the stream (or the socket closes). */
  readonly ended: Promise<void>
  /** Closes the stream from the client side. */
  close(): void
}

/**
 * Opens `url` as an event stream with node's http client (a fresh socket, no agent pool, so
 * nothing outlives the test) and parses it by the WHATWG rules: lines end in LF, CR or CRLF,
 * fields accumulate until a blank line, `data:` lines join with LF, one space after the colon
 * is dropped.
 */
export async function openEventStream (url: string, headers: Record<string, string> = {}): Promise<SseStream> {
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = request(url, { agent: false, headers: { accept: 'text/event-stream', ...headers } }, resolve)
    req.on('error', reject)
    req.end()
  })
  res.setEncoding('utf8')

  const queue: SseMessage[] = []
  const comments: string[] = []
  let waiter: { resolve: () => void } | undefined
  let done = false
  let retry: number | undefined
  let buffer = ''
  let fields: { id?: string, event?: string, data: string[] } = { data: [] }

  const wake = (): void => {
    const w = waiter
    waiter = undefined
    w?.resolve()
  }
  const dispatch = (): void => {
    if (fields.data.length > 0) {
      queue.push({ id: fields.id, event: fields.event ?? 'message', data: fields.data.join('\n') })
      wake()
    }
    fields = { data: [] }
  }
  const line = (text: string): void => {
    if (text === '') return dispatch()
    if (text.startsWith(':')) {
      comments.push(text.slice(1).trimStart())
      return
    }
    const colon = text.indexOf(':')
    const name = colon === -1 ? text : text.slice(0, colon)
    let value = colon === -1 ? '' : text.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (name === 'data') fields.data.push(value)
    else if (name === 'event') fields.event = value
    else if (name === 'id') fields.id = value
    else if (name === 'retry' && /^\d+$/.test(value)) retry = Number(value)
  }
  res.on('data', (chunk: string) => {
    buffer += chunk
    for (;;) {
      const match = /\r\n|\r|\n/.exec(buffer)
      // A lone CR at the very end may be the first half of CRLF: wait for more.
      if (match === null || (match[0] === '\r' && match.index === buffer.length - 1)) break
      line(buffer.slice(0, match.index))
      buffer = buffer.slice(match.index + match[0].length)
    }
  })
  const ended = new Promise<void>(resolve => {
    const finish = (): void => {
      done = true
      wake()
      resolve()
    }
    res.on('end', finish)
    res.on('close', finish)
    res.on('error', finish)
  })

  const next = async (timeoutMs = 5_000): Promise<SseMessage> => {
    let timer: NodeJS.Timeout | undefined
    try {
      while (queue.length === 0) {
        if (done) throw new Error('the event stream ended before the next message')
        await new Promise<void>((resolve, reject) => {
          waiter = { resolve }
          timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), timeoutMs)
        })
        clearTimeout(timer)
      }
    } finally {
      clearTimeout(timer)
    }
    return queue.shift() as SseMessage
  }

  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    comments,
    get retry () { return retry },
    next,
    take: async (n, timeoutMs) => {
      const out: SseMessage[] = []
      while (out.length < n) out.push(await next(timeoutMs))
      return out
    },
    drain: () => queue.splice(0),
    ended,
    close: () => res.destroy()
  }
}

/** The JSON payload of an emulator event. */
export interface EmulatorEvent {
  id: number
  type: 'created' | 'transition' | 'updated' | 'purged'
  at: string
  from?: string
  to?: string
  reason?: string
  invocation: Record<string, unknown> & { id: string, status: string }
}

export function parseEvent (message: SseMessage): EmulatorEvent {
  return JSON.parse(message.data) as EmulatorEvent
}
