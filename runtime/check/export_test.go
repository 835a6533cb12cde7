package check

// For the tests of package check_test.
var (
	SameReport  = sameReport
	SomeOptions = someOptions
)
