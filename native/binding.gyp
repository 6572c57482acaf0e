{
  "targets": [
    {
      "target_name": "wiremesh_native",
      "sources": ["wiremesh_native.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [["OS!='linux'", { "type": "none", "sources!": ["wiremesh_native.c"] }]]
    }
  ]
}
