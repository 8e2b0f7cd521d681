// A small fetch client for /api/v1: sends the Bearer token, turns the
// server's JSON errors into ApiError, and streams instance logs.
import type { components } from './schema'

export type S = components['schemas']
export type Instance = S['Instance']

const TOKEN_KEY = 'kiln.token'

export function getToken(): string | null {
  return localStorage.getItem(TOKEN_KEY)
}
export function setToken(t: string | null) {
  if (t) localStorage.setItem(TOKEN_KEY, t)
  else localStorage.removeItem(TOKEN_KEY)
}

export class ApiError extends Error {
  constructor(public status: number, public code: string, message: string, public details?: unknown) {
    super(message)
  }
}

// onUnauthorized is set by the session store: a 401 means sign in again.
export const hooks: { onUnauthorized?: () => void } = {}

type Query = Record<string, string | number | boolean | undefined | null>

function url(path: string, q?: Query): string {
  const u = new URL('/api/v1' + path, location.origin)
  for (const [k, v] of Object.entries(q ?? {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v))
  }
  return u.pathname + u.search
}

async function request(method: string, path: string, body?: unknown, q?: Query, extra?: Record<string, string>): Promise<Response> {
  const headers: Record<string, string> = { ...extra }
  const t = getToken()
  if (t) headers.Authorization = `Bearer ${t}`
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(url(path, q), { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  if (!res.ok) {
    let code = 'http_' + res.status
    let msg = res.statusText
    let details: unknown
    try {
      const j = await res.json()
      code = j.error?.code ?? code
      msg = j.error?.message ?? msg
      details = j.error?.details
    } catch { /* not JSON */ }
    if (res.status === 401 && path !== '/login') hooks.onUnauthorized?.()
    throw new ApiError(res.status, code, msg, details)
  }
  return res
}

export const api = {
  async get<T>(path: string, q?: Query): Promise<T> {
    return (await request('GET', path, undefined, q)).json()
  },
  async post<T>(path: string, body?: unknown, q?: Query): Promise<T> {
    const r = await request('POST', path, body ?? {}, q)
    const text = await r.text()
    return (text ? JSON.parse(text) : undefined) as T
  },
  // headers: extra request headers (If-Match for a conditional save).
  async put<T>(path: string, body: unknown, headers?: Record<string, string>): Promise<T> {
    return (await request('PUT', path, body, undefined, headers)).json()
  },
  async patch<T>(path: string, body: unknown): Promise<T> {
    return (await request('PATCH', path, body)).json()
  },
  async del(path: string): Promise<void> {
    await request('DELETE', path)
  },
  async text(path: string, q?: Query): Promise<string> {
    return (await request('GET', path, undefined, q)).text()
  },
  async blob(path: string, body: unknown): Promise<Blob> {
    return (await request('POST', path, body)).blob()
  },
  // followLog streams an instance's log from offset until it ends (or the
  // signal aborts), handing each chunk to onChunk.
  async followLog(id: number, onChunk: (s: string) => void, signal: AbortSignal): Promise<void> {
    const headers: Record<string, string> = {}
    const t = getToken()
    if (t) headers.Authorization = `Bearer ${t}`
    const res = await fetch(url(`/instances/${id}/log`, { follow: true }), { headers, signal })
    if (!res.ok || !res.body) throw new ApiError(res.status, 'http_' + res.status, res.statusText)
    const reader = res.body.getReader()
    const dec = new TextDecoder()
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      onChunk(dec.decode(value, { stream: true }))
    }
  },
}

export const enc = encodeURIComponent
