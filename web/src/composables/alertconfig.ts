// A project's alert settings (channels, policies, rota, windows), who is on
// call, channel test sends, and the project's pools. Settings are saved
// whole (PUT …/alerts/config); the server checks them and its message is
// shown as is. Saving waits for a load that succeeded: the config sent is
// built from what was loaded, so saving after a failed load would wipe the
// channels, policies and rota stored. A save names the version it was built
// from (If-Match); when someone saved since (another owner, or another panel
// of this page), the server refuses it with 412, and the same change is
// applied once more to the settings stored now, so neither save is lost.
import { ref } from 'vue'
import { useI18n } from 'vue-i18n'
import { ApiError, api, enc, type S } from '../api/client'
import { useSession } from '../stores/session'

export type AlertConfig = S['AlertConfig']
export type Channel = S['AlertChannel']
export type Policy = S['AlertPolicy']
export type Rota = S['Rota']
export type PoolInfo = S['PoolInfo']

export const channelKinds = ['webhook', 'feishu', 'dingtalk', 'wecom', 'slack', 'email']
export const tiers = ['core', 'normal']

// list turns "a, b,,c" into ['a', 'b', 'c']; text is the reverse.
export const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean)
export const text = (l?: string[] | null) => (l ?? []).join(', ')

function guarded(err: { value: string }, msg: { value: string }) {
  return async (f: () => Promise<void>, done = '') => {
    err.value = ''
    msg.value = ''
    try {
      await f()
      msg.value = done
    } catch (e) {
      err.value = (e as Error).message
    }
  }
}

// notLoaded is the message shown when a save is refused for want of a load.
export function useAlertSettings(project: () => string, notLoaded: () => string) {
  const cfg = ref<AlertConfig>({})
  const loaded = ref(false) // the stored config is in cfg: saving may start from it
  const loading = ref(false)
  const tried = ref(false) // a load has ended (either way)
  const saving = ref(false)
  const env = ref<Record<string, boolean>>({})
  const onCall = ref<S['OnCallNow'] | null>(null)
  const tests = ref<Record<string, { busy: boolean; res?: S['ChannelTestResult']; err?: string }>>({})
  const err = ref('')
  const msg = ref('')
  const g = guarded(err, msg)
  const base = () => `/projects/${enc(project())}/alerts`
  const version = ref('') // of the stored settings cfg was loaded from
  const take = (s: S['AlertSettings']) => {
    cfg.value = s.config ?? {}
    env.value = s.env ?? {}
    version.value = s.version ?? ''
  }
  const loadOnCall = async () => { onCall.value = await api.get<S['OnCallNow']>(base() + '/oncall', { next: 5 }) }
  const load = async () => {
    loading.value = true
    try {
      await g(async () => {
        loaded.value = false
        take(await api.get<S['AlertSettings']>(base() + '/config'))
        loaded.value = true
        await loadOnCall()
      })
    } finally {
      loading.value = false
      tried.value = true
    }
  }
  // save sends the whole config changed by edit (a copy); on an error the
  // page keeps showing what is stored. It is refused (an error, no request)
  // until a load has succeeded, and skipped while another save is in flight.
  const save = async (edit: (c: AlertConfig) => void, done: string) => {
    if (saving.value) return
    saving.value = true
    try {
      await g(async () => {
        if (!loaded.value) throw new Error(notLoaded())
        const put = () => {
          const c: AlertConfig = JSON.parse(JSON.stringify(cfg.value))
          edit(c)
          return api.put<S['AlertSettings']>(base() + '/config', c, version.value ? { 'If-Match': `"${version.value}"` } : undefined)
        }
        try {
          take(await put())
        } catch (e) {
          if (!(e instanceof ApiError) || e.code !== 'alert_settings_changed') throw e
          take(await api.get<S['AlertSettings']>(base() + '/config'))
          take(await put())
        }
        await loadOnCall()
      }, done)
    } finally {
      saving.value = false
    }
  }
  const ok = () => !err.value
  // canSave: a load succeeded and no save is in flight; failed: the last
  // load ended without the config.
  const canSave = () => loaded.value && !saving.value
  const failed = () => tried.value && !loaded.value && !loading.value
  const test = async (name: string) => {
    tests.value[name] = { busy: true }
    try {
      tests.value[name] = { busy: false, res: await api.post<S['ChannelTestResult']>(`${base()}/channels/${enc(name)}/test`) }
    } catch (e) {
      tests.value[name] = { busy: false, err: (e as Error).message }
    }
  }
  return { cfg, env, onCall, tests, err, msg, loaded, loading, saving, load, save, ok, canSave, failed, test }
}

// useAlertPanel is what each alert settings panel starts from: the current
// project's settings, and whether and why not this user may save them.
export function useAlertPanel() {
  const { t } = useI18n()
  const s = useSession()
  const a = useAlertSettings(() => s.project, () => t('alertcfg.notLoaded'))
  const owner = () => s.can('members')
  const noRight = () => (owner() ? '' : t('common.noRight'))
  // Saving waits for the settings to load (it sends them whole).
  const canSave = () => owner() && a.canSave()
  const whyNot = () => (!owner() ? t('common.noRight') : a.failed() ? t('alertcfg.notLoaded') : '')
  return { a, owner, noRight, canSave, whyNot }
}

export function usePools(project: () => string) {
  const pools = ref<PoolInfo[]>([])
  const err = ref('')
  const msg = ref('')
  const g = guarded(err, msg)
  const base = () => `/projects/${enc(project())}/pools`
  const load = () => g(async () => { pools.value = (await api.get<PoolInfo[]>(base())) ?? [] })
  const set = (name: string, slots: number, done: string) => g(async () => {
    await api.put(`${base()}/${enc(name)}`, { slots })
    pools.value = (await api.get<PoolInfo[]>(base())) ?? []
  }, done)
  const remove = (name: string) => g(async () => {
    await api.del(`${base()}/${enc(name)}`)
    pools.value = (await api.get<PoolInfo[]>(base())) ?? []
  })
  return { pools, err, msg, load, set, remove }
}
