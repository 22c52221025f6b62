# The tutorial recipe on the full data with exact fixed-point sums (binary of commit "Tests for exact sums…"):
# seeds 1-3 at -np 2, and seed 1 at -np 1 and -np 3. Other work ran on the machine meanwhile: the epoch
# times in these logs are not measurements.
Launch/local.sh 2 train --seed 1 > np2-seed1.log
Launch/local.sh 2 train --seed 2 > np2-seed2.log
Launch/local.sh 2 train --seed 3 > np2-seed3.log
Launch/local.sh 1 train --seed 1 > np1-seed1.log
Launch/local.sh 3 train --seed 1 > np3-seed1.log
