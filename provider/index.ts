/**
 * vdi-upgrade: Pulumi resources that upgrade the servers of a virtual desktop estate (VMware Horizon Connection and
 * Security Servers, Microsoft App-V 4.x servers) by the vendors' documented procedures.
 */
export { ConnectionServer } from "./resources/connectionServer";
export { SecurityServer } from "./resources/securityServer";
export { HorizonPod, type HorizonPodArgs, type HorizonPodConnectionServer, type HorizonPodSecurityServer } from "./resources/horizonPod";
export type {
  ConnectionArgs,
  ConnectionServerArgs,
  HooksArgs,
  HorizonOverrides,
  HorizonServerArgs,
  InstallerArgs,
  MaintenanceWindowArgs,
  PairedConnectionServerArgs,
  SecretInput,
  SecurityServerArgs,
} from "./resources/horizonArgs";
export { parseHorizonVersion, formatHorizonVersion, compareHorizonVersions, type HorizonVersion } from "./versions/horizon";
export { AppVServer } from "./resources/appvServer";
export {
  AppVFarm,
  AppVFarmPreparation,
  AppVFarmCompletion,
  type AppVFarmPreparationArgs,
  type AppVFarmCompletionArgs,
} from "./resources/appvFarm";
export type {
  AppVBackupArgs,
  AppVDatabaseArgs,
  AppVFarmArgs,
  AppVFarmContextArgs,
  AppVFarmServer,
  AppVInstallerArgs,
  AppVOverrides,
  AppVRoleArg,
  AppVServerArgs,
  AppVUserSessionsArgs,
} from "./resources/appvArgs";
export { parseAppVVersion, formatAppVVersion, compareAppVVersions, type AppVVersion } from "./versions/appv";
export type { PlanStep, ServerStatus } from "./report/status";
export type { SecretReference } from "./secrets/references";
/**
 * A replacement body for `overrides.startInstallerScript`: starts the installer with CREATE_BREAKAWAY_FROM_JOB instead of
 * through WMI, on hosts whose Windows OpenSSH lets a session's processes break away from its job (docs/horizon.md, "A
 * lost connection during the installer").
 */
export { START_INSTALLER_BREAKAWAY_BODY } from "./operations/hostOperations";
