/**
 * The real-NAT lab (issue 6): Linux network namespaces with an "internet", public hosts, nftables NAT
 * routers and private hosts, plus the control protocol of the scripts that run inside them.
 */
export { NatLab, type NatOptions, type PublicHostOptions } from './lab.js';
export { LabHost, PublicHost, NatRouter, PrivateHost, REPO_ROOT, type HostKind, type RunNodeOptions, type SpawnOptions } from './lab-host.js';
export { ManagedChild, type ChildExit, type EventPredicate } from './managed-child.js';
export { type LabAvailability, DISABLE_ENV } from './availability.js';
export { type LabEvent } from './json-lines.js';
export { type NatType } from './nat-ruleset.js';
export { type Lan, type PublicAttachment } from './address-plan.js';
export { removeStaleLabs } from './stale-labs.js';
export { namespacesOfLab } from './namespace-names.js';
export { decodeProbeMessage, encodeProbeMessage, formatEndpoint, parseEndpoint, type ProbeMessage } from './probe-message.js';
export { emit, listenForCommands, reportFatal, type LabCommand } from './script-io.js';
