# Is F(4x4) Winograd why the tutorial's recipe lost accuracy with the batched core (seeds 1-3: 90.70%
# against 91.33% before it)? The same recipe, the same seeds 1-3 (fixed in advance: those of
# ../training), at -np 2, with every 3x3 convolution F(2x2) instead of auto's F(4x4) for the five
# multi-channel layers (the build before the batched core used F(2x2) there and im2col for the first).
# Run one after the other on the otherwise idle 2-core machine (AMD EPYC, AVX-512), 2026-12-07, binary of 4715255.
for seed in 1 2 3 4 5 6; do   # 4-6 after 1-3 had finished, for context
  Launch/local.sh 2 train --seed $seed --convolution winograd --verbose 2 > np2-seed$seed.log
done
