package ids

// Well-known object ids.
const (
	RootFolderID  = "91a57d15-2a10-df82-5356-2f62ba7e060d"
	SystemUserID  = "72504333-c0e4-3567-9dff-354671474f7e"
	TraceSampleID = "36ff47a3c22905364a192a26c7fbfd55"
)
