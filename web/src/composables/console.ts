// The console's data: a project's members and data sources, and the signed-in
// user's tokens. A new token's value is kept only until the page is left.
import { ref } from 'vue'
import { api, enc, type S } from '../api/client'

export const roles = ['owner', 'developer', 'operator', 'viewer']

function guarded(err: { value: string }) {
  return async (f: () => Promise<void>) => {
    err.value = ''
    try {
      await f()
    } catch (e) {
      err.value = (e as Error).message
    }
  }
}

export function useMembers(project: () => string) {
  const members = ref<S['Member'][]>([])
  const err = ref('')
  const g = guarded(err)
  const base = () => `/projects/${enc(project())}/members`
  const load = () => g(async () => { members.value = (await api.get<S['Member'][]>(base())) ?? [] })
  const set = (user: string, role: string) => g(async () => {
    await api.put(`${base()}/${enc(user)}`, { role })
    members.value = (await api.get<S['Member'][]>(base())) ?? []
  })
  const remove = (user: string) => g(async () => {
    await api.del(`${base()}/${enc(user)}`)
    members.value = members.value.filter((m) => m.user_name !== user)
  })
  return { members, err, load, set, remove }
}

export function useDataSources(project: () => string) {
  const sources = ref<S['DataSource'][]>([])
  const err = ref('')
  // tests: each data source's last connection test; busy while it runs.
  const tests = ref<Record<string, { busy: boolean; res?: S['DataSourceTest'] }>>({})
  const load = () => guarded(err)(async () => { sources.value = (await api.get<S['DataSource'][]>(`/projects/${enc(project())}/datasources`)) ?? [] })
  const test = (name: string) => guarded(err)(async () => {
    tests.value[name] = { busy: true }
    try {
      tests.value[name] = { busy: false, res: await api.post<S['DataSourceTest']>(`/projects/${enc(project())}/datasources/${enc(name)}/test`) }
    } finally {
      tests.value[name].busy = false
    }
  })
  return { sources, err, tests, load, test }
}

export function useTokens() {
  const tokens = ref<S['Token'][]>([])
  const fresh = ref('') // the value of the token just created, shown once
  const err = ref('')
  const g = guarded(err)
  const load = () => g(async () => { tokens.value = (await api.get<S['Token'][]>('/tokens')) ?? [] })
  const create = (name: string, expiresIn: string) => g(async () => {
    const r = await api.post<S['TokenResponse']>('/tokens', { name, expires_in: expiresIn || undefined })
    fresh.value = r.token ?? ''
    tokens.value = (await api.get<S['Token'][]>('/tokens')) ?? []
  })
  const revoke = (id: number) => g(async () => {
    await api.del(`/tokens/${id}`)
    tokens.value = tokens.value.filter((x) => x.id !== id)
  })
  return { tokens, fresh, err, load, create, revoke }
}
