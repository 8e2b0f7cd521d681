// The signed-in user, their projects and roles, and the current project.
import { defineStore } from 'pinia'
import { api, setToken, getToken, hooks, type S } from '../api/client'

export type Action = 'read' | 'run' | 'sql' | 'change' | 'members'

// What each role may do (docs/api.md); administrators act as owners.
const allowed: Record<string, Action[]> = {
  owner: ['read', 'run', 'sql', 'change', 'members'],
  developer: ['read', 'run', 'sql', 'change'],
  operator: ['read', 'run', 'sql'],
  viewer: ['read'],
}

export const useSession = defineStore('session', {
  state: () => ({
    me: null as S['Me'] | null,
    project: localStorage.getItem('kiln.project') ?? '',
    token: getToken(),
  }),
  getters: {
    projects: (s) => (s.me?.projects ?? []).map((p) => ({ name: p.project?.name ?? '', role: p.role ?? 'viewer' })),
    role(): string {
      if (this.me?.user?.admin) return 'owner'
      return this.projects.find((p) => p.name === this.project)?.role ?? 'viewer'
    },
  },
  actions: {
    can(a: Action): boolean {
      return (allowed[this.role] ?? []).includes(a)
    },
    async login(user: string, password: string) {
      const r = await api.post<S['TokenResponse']>('/login', { user, password, token_name: 'web ui' })
      setToken(r.token ?? null)
      this.token = r.token ?? null
      await this.load()
    },
    async load() {
      this.me = await api.get<S['Me']>('/me')
      const names = this.projects.map((p) => p.name)
      if (!names.includes(this.project)) this.setProject(names[0] ?? '')
    },
    setProject(p: string) {
      this.project = p
      localStorage.setItem('kiln.project', p)
    },
    logout() {
      setToken(null)
      this.token = null
      this.me = null
    },
  },
})

export function installUnauthorized(onOut: () => void) {
  hooks.onUnauthorized = onOut
}
