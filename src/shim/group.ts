/**
 * Which server a container's `start` joins. containerd lets `start` print the address of a server that
 * already runs (containerd's runc v2 shim groups by `io.containerd.runc.v2.group` and the CRI sandbox id;
 * hcsshim serves a whole pod from one shim), so the containers of one group share one Node process.
 *
 * The group is, in this order: the bundle's `config.json` annotation {@link GROUP_ANNOTATION}, the CRI
 * sandbox id ({@link SANDBOX_ID_ANNOTATION}; a pod's sandbox carries its own id, its workload containers
 * carry the sandbox's), else the container's own id (one server per container, as before). The server's
 * address is derived from the group the way containerd derives a shim's from its id, namespace included:
 * one group value in two namespaces is two servers. So the runtime options' `default_container_annotations`
 * `{ "io.containerd.runhcs.v1.group": "<any id>" }` put every container of a namespace that runs with
 * those options in one server (README, "One shim for many containers").
 */
import { readSpecAnnotations } from "../bundle/spec-file.js";
import { validateId } from "../ids.js";

/** Our own grouping annotation (an operator's or orchestrator's explicit choice). */
export const GROUP_ANNOTATION = "io.containerd.runhcs.v1.group";
/** The CRI plugin's sandbox id annotation (containerd `pkg/cri/annotations`). */
export const SANDBOX_ID_ANNOTATION = "io.kubernetes.cri.sandbox-id";

/**
 * The group of container `id` whose bundle is `bundle` (throws InvalidArgument for a bad annotation).
 * `defaults` are the runtime options' `default_container_annotations`: the container's own win.
 */
export async function shimGroup(
  bundle: string,
  id: string,
  defaults: Record<string, string> = {},
): Promise<string> {
  const annotations = { ...defaults, ...readSpecAnnotations(bundle) };
  for (const key of [GROUP_ANNOTATION, SANDBOX_ID_ANNOTATION]) {
    const value = annotations[key];
    if (value === undefined || value === "") continue;
    validateId(value, `annotation ${key}`);
    return value;
  }
  return id;
}
