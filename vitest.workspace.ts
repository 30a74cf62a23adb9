// One vitest project per package; the root vitest.config.ts passes this list to `test.projects`.
export default ["packages/*", "examples/mro-server"]
