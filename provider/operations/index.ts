/** The vocabulary of named remote operations (docs/wire-protocol.md §5). */
import type { AnyOperationDefinition } from "./operation";
import {
  GET_FILE_HASH,
  GET_HOST_FACTS,
  GET_INSTALLED_PRODUCT,
  GET_SERVICE_STATE,
  INVOKE_HOOK,
  GET_INSTALLER_RUN,
  START_INSTALLER,
  SET_SERVICE_STATE,
} from "./hostOperations";
import {
  GET_INSTALLER_VERSION,
  GET_PAIRING_PASSWORD_STATE,
  GET_IPSEC_RULES,
  GET_SECURITY_SERVER_LIST,
  INVOKE_PREPARE_SECURITY_SERVER,
  INVOKE_VDMADMIN,
  INVOKE_VDMEXPORT,
  SET_PAIRING_PASSWORD,
  TEST_HORIZON_PREREQUISITES,
} from "./horizonOperations";
import { GET_REPLICATION_HEALTH } from "./replicationOperations";
import { GET_WEB_APPLICATION_POOL, SET_WEB_APP_POOL_STATE } from "./iisOperations";
import { GET_CLIENT_SESSIONS } from "./appvOperations";
import { GET_MEMBER_STATE, GET_RUN_LEASE, NEW_RUN_LEASE, SET_OWED_HOOK, SET_RUN_LEASE } from "./leaseOperations";
import { GET_APPV_DATABASE, INVOKE_SQL_BACKUP, TEST_SQL_BACKUP, TEST_SQL_LOGIN, GET_DATABASE_SESSIONS } from "./sqlOperations";

export * from "./operation";
export * from "./hostOperations";
export * from "./horizonOperations";
export * from "./sqlOperations";
export * from "./iisOperations";
export * from "./appvOperations";
export * from "./replicationOperations";
export * from "./leaseOperations";

/** Every operation, by name, in the order of the protocol's table. */
export const OPERATIONS: Readonly<Record<string, AnyOperationDefinition>> = Object.fromEntries(
  [
    GET_HOST_FACTS,
    GET_INSTALLED_PRODUCT,
    GET_SERVICE_STATE,
    SET_SERVICE_STATE,
    GET_FILE_HASH,
    START_INSTALLER,
    GET_INSTALLER_RUN,
    GET_WEB_APPLICATION_POOL,
    SET_WEB_APP_POOL_STATE,
    GET_CLIENT_SESSIONS,
    INVOKE_VDMADMIN,
    GET_SECURITY_SERVER_LIST,
    SET_PAIRING_PASSWORD,
    GET_PAIRING_PASSWORD_STATE,
    INVOKE_PREPARE_SECURITY_SERVER,
    GET_IPSEC_RULES,
    GET_INSTALLER_VERSION,
    INVOKE_VDMEXPORT,
    TEST_HORIZON_PREREQUISITES,
    GET_REPLICATION_HEALTH,
    INVOKE_SQL_BACKUP,
    TEST_SQL_BACKUP,
    GET_APPV_DATABASE,
    TEST_SQL_LOGIN,
    GET_DATABASE_SESSIONS,
    INVOKE_HOOK,
    GET_RUN_LEASE,
    NEW_RUN_LEASE,
    SET_RUN_LEASE,
    SET_OWED_HOOK,
    GET_MEMBER_STATE,
  ].map((d) => [d.name, d]),
);

/** Names of the operations whose body an operator may replace. */
export const OVERRIDABLE_OPERATIONS: readonly string[] = Object.values(OPERATIONS)
  .filter((d) => d.overridable)
  .map((d) => d.name);
