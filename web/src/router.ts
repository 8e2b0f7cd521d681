import { createRouter, createWebHistory } from 'vue-router'
import { getToken } from './api/client'

// Pages other than sign-in and the instance list are split into their own
// chunks so the first load stays small.
export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/', redirect: '/ops' },
    { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
    { path: '/ops', name: 'ops', component: () => import('./views/OpsView.vue') },
    { path: '/ops/dashboard', name: 'dashboard', component: () => import('./views/DashboardView.vue') },
    { path: '/ops/day', name: 'day', component: () => import('./views/DayView.vue') },
    { path: '/ops/instances/:id', name: 'instance', component: () => import('./views/InstanceView.vue'), props: true },
    { path: '/studio/:task?', name: 'studio', component: () => import('./views/StudioView.vue'), props: true },
    { path: '/datamap', name: 'datamap', component: () => import('./views/DataMapView.vue') },
    { path: '/datamap/tables/:table', name: 'table', component: () => import('./views/TableView.vue'), props: true },
    { path: '/quality', name: 'quality', component: () => import('./views/QualityView.vue') },
    { path: '/alerts', name: 'alerts', component: () => import('./views/AlertsView.vue') },
    { path: '/console', name: 'console', component: () => import('./views/ConsoleView.vue') },
    { path: '/query', name: 'query', component: () => import('./views/QueryView.vue') },
    { path: '/:rest(.*)*', redirect: '/ops' },
  ],
})

router.beforeEach((to) => {
  if (!to.meta.public && !getToken()) return { name: 'login', query: { next: to.fullPath } }
})
