/**
 * Public surface of cmd/: the operator plumbing every `wiremesh` command shares (configuration, control
 * socket, logging, metrics, output) and the commands themselves. The entry point is main.ts.
 */
export * from './constants.js';
export { commands } from './commands/index.js';
export {
  ConfigError,
  resolveConfig,
  type ConfigInputs,
  type ConfigSource,
  type ResolvedConfig,
} from './config.js';
export {
  CONFIG_SETTINGS,
  configSetting,
  parseBooleanSetting,
  splitContactList,
  type ConfigKey,
  type ConfigSetting,
  type LogLevel,
  type RawSettingValue,
  type SettingKind,
  type WiremeshConfig,
} from './config-settings.js';
export { readConfigFile, parseConfigText, type ConfigFileValues } from './config-file.js';
export { withConfigOptions, type ConfigArgs, type ConfigOptionsOptions } from './config-options.js';
export { closestName } from './closest-name.js';
export { formatHostPort, parseHostPort, type HostPort, type ParseHostPortOptions } from './host-port.js';
export { ControlServer, type ControlServerOptions, type ControlServerStats } from './control-socket.js';
export { ControlClient, type ControlClientOptions, type ControlRequestOptions } from './control-client.js';
export type { ControlContext, ControlHandler } from './control-connection.js';
export { controlSocketPath, noRunningNodeMessage } from './control-socket-path.js';
export * from './control-protocol.js';
export { LineSplitter } from './line-splitter.js';
export { componentLogger, createLogger, type CreateLoggerOptions, type Logger } from './logger.js';
export { REDACTED, isSecretField, redactSecrets } from './secret-redaction.js';
export { serveMetrics, type MetricStats, type MetricValue, type MetricsServer, type ServeMetricsOptions } from './metrics.js';
export { metricFamilies, snakeCase, type MetricFamily, type MetricKind, type MetricSample, type MetricShapeOptions } from './metric-families.js';
export { Output, jsonEventLine, type OutputOptions } from './output.js';
export { formatTable, printable, type TableColumn } from './table.js';
export {
  ProgressLine,
  TransferMeter,
  formatProgress,
  formatSummary,
  type ProgressLineOptions,
  type TransferProgress,
} from './progress-line.js';
export { formatBytes, formatDuration, formatRate } from './byte-units.js';
export { waitForShutdownSignal } from './shutdown.js';
export { loadOrCreateStaticKey } from './static-key-file.js';
