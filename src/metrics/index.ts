/**
 * `accounts-module/metrics`: Prometheus metrics of the accounts system through prom-client, an
 * optional peer dependency (`npm install prom-client`). Apart from the main entry point so that
 * applications without prom-client never load it. See the README, "Metrics".
 */
export { AccountsMetrics, type AccountsMetricsOptions, DEFAULT_DURATION_BUCKETS_SECONDS } from './accounts-metrics';
export { methodLabel, OTHER_METHOD, routeLabel, UNMATCHED_ROUTE } from './labels';
