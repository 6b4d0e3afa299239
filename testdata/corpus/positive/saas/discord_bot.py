client.run("MnApDYCSa6Rf5jU8aC2nyu4r.mqW-KC.FMxofRHLy0tn-myU23S5sq-TLhozZWGjYwNSoC")
