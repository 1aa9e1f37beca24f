//! Tests of the Slurm front end: merging shards, writing the scripts, and resolving settings.

mod merge;
mod sbatch;
mod shard;
