// The parts of ECharts Kiln's charts use (line, bar, pie, scatter and the
// Gantt chart's custom series; grid, tooltip, legend with scrolling and data
// zoom), registered on echarts/core so the chart chunk carries only these.
// A chart of another kind needs its series or component added here.
import * as echarts from 'echarts/core'
import { BarChart, CustomChart, LineChart, PieChart, ScatterChart } from 'echarts/charts'
import { DataZoomComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components'
import { LabelLayout } from 'echarts/features'
import { CanvasRenderer } from 'echarts/renderers'

echarts.use([
  BarChart, CustomChart, LineChart, PieChart, ScatterChart,
  DataZoomComponent, GridComponent, LegendComponent, TooltipComponent,
  LabelLayout, CanvasRenderer,
])

export default echarts
