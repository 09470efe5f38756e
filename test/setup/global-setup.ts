// Placeholder replaced by the local-stack setup: integration tests reuse a running stack or start one.
export default async function setup(): Promise<void> {}
