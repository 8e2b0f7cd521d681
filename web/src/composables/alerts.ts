// A project's alerts and silences, with acknowledge, silence and unsilence.
import { ref } from 'vue'
import { api, enc, type S } from '../api/client'

export type Alert = S['Alert']
export type Silence = S['Silence']

export function useAlerts(project: () => string) {
  const alerts = ref<Alert[]>([])
  const silences = ref<Silence[]>([])
  const err = ref('')
  const base = () => `/projects/${enc(project())}`
  async function guard(f: () => Promise<void>) {
    err.value = ''
    try {
      await f()
    } catch (e) {
      err.value = (e as Error).message
    }
  }
  const load = (state = '') => guard(async () => {
    const [a, si] = await Promise.all([api.get<Alert[]>(base() + '/alerts', { state }), api.get<Silence[]>(base() + '/silences')])
    alerts.value = a ?? []
    silences.value = si ?? []
  })
  const ack = (id: number, state = '') => guard(async () => {
    await api.post(`${base()}/alerts/${id}/ack`)
    await load(state)
  })
  const silence = (req: S['SilenceRequest']) => guard(async () => {
    await api.post(base() + '/silences', req)
    silences.value = (await api.get<Silence[]>(base() + '/silences')) ?? []
  })
  const unsilence = (id: number) => guard(async () => {
    await api.del(`${base()}/silences/${id}`)
    silences.value = silences.value.filter((x) => x.id !== id)
  })
  return { alerts, silences, err, load, ack, silence, unsilence }
}
