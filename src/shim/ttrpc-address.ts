/**
 * containerd's ttrpc address for events (containerd sets it in the shim's environment; `start` passes on
 * the one from the bootstrap params). Its own module so that `start` can name it without loading the server.
 */
export const TTRPC_ADDRESS_ENV = "TTRPC_ADDRESS";
