/**
 * The resource inputs that carry PowerShell, as data: each override replaces the body of an overridable operation
 * (docs/wire-protocol.md §3, §5). Hooks are not listed: they are operator text the Invoke-Hook body turns into a
 * script block on the host and reports back (exit code and output), and any text is accepted for them.
 */
import { GET_APPV_DATABASE, GET_SECURITY_SERVER_LIST, INVOKE_PREPARE_SECURITY_SERVER, SET_PAIRING_PASSWORD } from "../operations";
import type { ScriptInput } from "./scriptCheck";

/** Script inputs of a Connection Server or a Security Server. */
export const HORIZON_SCRIPT_INPUTS: readonly ScriptInput[] = [
  { path: ["overrides", "securityServerListScript"], operation: GET_SECURITY_SERVER_LIST },
  { path: ["overrides", "pairingPasswordScript"], operation: SET_PAIRING_PASSWORD },
  { path: ["overrides", "prepareSecurityServerScript"], operation: INVOKE_PREPARE_SECURITY_SERVER },
];

/** Script inputs of the App-V farm's preparation and completion. */
export const APPV_FARM_SCRIPT_INPUTS: readonly ScriptInput[] = [{ path: ["database", "schemaScript"], operation: GET_APPV_DATABASE }];
