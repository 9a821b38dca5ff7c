package runs

// SpreadPercentiles are the percentiles of a tensor's weights that a
// layer measure keeps (the log's "q": package training's
// LayerStat.Spread), those of TensorBoard's distributions: the least and
// most values, the median, and the shares of a normal distribution
// beyond 0.5, 1 and 1.5 standard deviations either side (30.85%,
// 15.87%, 6.68%).
var SpreadPercentiles = [...]float64{0, 6.68, 15.87, 30.85, 50, 69.15, 84.13, 93.32, 100}
