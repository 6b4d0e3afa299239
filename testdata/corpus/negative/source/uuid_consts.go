package ids

// Well-known object ids.
const (
	RootFolderID = "34465e95-83b9-9b5f-f7e1-0345c5cac933"
	SystemUserID = "b42052ba-06d3-b0ef-0bd8-282e71e6399e"
	TraceSampleID = "e85d548e73384ced396def2d99d4439a"
)
