/**
 * A container's place in a pod, read from its spec's annotations as runhcs reads them
 * (hcsshim `cmd/runhcs/container.go` `parseSandboxAnnotations`: CRI's, then CRI-O's, then dockershim's).
 * runhcs itself puts a Hyper-V pod's workload containers into the sandbox's utility VM from these
 * annotations, so the spec is passed through unchanged; the server only keeps the pod's order: a workload
 * container is created only while its sandbox exists here, and the sandbox is deleted last.
 */

/** The sandbox of a pod, or one of its workload containers; undefined: not in a pod. */
export type PodRole =
  | { sandbox: true; sandboxId: string }
  | { sandbox: false; sandboxId: string }
  | undefined;

/** [container type key, sandbox id key] in runhcs's order of preference. */
const KEYS: ReadonlyArray<readonly [string, string]> = [
  ["io.kubernetes.cri.container-type", "io.kubernetes.cri.sandbox-id"],
  ["io.kubernetes.cri-o.ContainerType", "io.kubernetes.cri-o.SandboxID"],
  ["io.kubernetes.docker.type", "io.kubernetes.sandbox.id"],
];

/** The pod role the annotations give (runhcs: the first container type key present decides). */
export function podRole(annotations: Record<string, unknown>): PodRole {
  for (const [typeKey, idKey] of KEYS) {
    let type = annotations[typeKey];
    if (typeof type !== "string" || type === "") continue;
    if (typeKey === "io.kubernetes.docker.type" && type === "podsandbox") type = "sandbox";
    const id = annotations[idKey];
    const sandboxId = typeof id === "string" ? id : "";
    if (type === "sandbox") return { sandbox: true, sandboxId };
    // runhcs validates a workload's sandbox only when it names one.
    return type === "container" && sandboxId ? { sandbox: false, sandboxId } : undefined;
  }
  return undefined;
}
