# Is it F(4x4) that costs the tutorial accuracy, or did F(2x2) draw well? The same recipe and seeds 1-3
# (those of ../training and ../training-f2x2), every convolution im2col (a direct sum, no transform), -np 2,
# one after the other on the 2-core machine (AMD EPYC, AVX-512), 2026-12-07, binary of 92f53c6 (seeds 2
# and 3 started after .build/release/tandem had been rebuilt with the next commit's depthwise kernels,
# which the tutorial model does not use).
for seed in 1 2 3; do
  Launch/local.sh 2 train --seed $seed --convolution im2col --verbose 2 > np2-seed$seed.log
done
