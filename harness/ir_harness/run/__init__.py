"""Running a system on a task: configuration, context, pipeline, checkpoints, grid."""
