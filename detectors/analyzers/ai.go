package analyzers

import (
	"github.com/achilles-sec/achilles/detectors/airtable"
	"github.com/achilles-sec/achilles/detectors/analyze"
	"github.com/achilles-sec/achilles/detectors/anthropic"
	"github.com/achilles-sec/achilles/detectors/deepseek"
	"github.com/achilles-sec/achilles/detectors/elevenlabs"
	"github.com/achilles-sec/achilles/detectors/huggingface"
	"github.com/achilles-sec/achilles/detectors/notion"
	"github.com/achilles-sec/achilles/detectors/openai"
	"github.com/achilles-sec/achilles/detectors/openrouter"
	"github.com/achilles-sec/achilles/detectors/pinecone"
	"github.com/achilles-sec/achilles/detectors/replicate"
)

func aiAnalyzers() []analyze.Analyzer {
	return []analyze.Analyzer{
		openai.Analyzer{},
		openai.AdminAnalyzer{},
		anthropic.Analyzer{},
		anthropic.AdminAnalyzer{},
		huggingface.Analyzer{},
		pinecone.Analyzer{},
		openrouter.Analyzer{},
		airtable.Analyzer{},
		notion.Analyzer{},
		replicate.Analyzer{},
		deepseek.Analyzer{},
		elevenlabs.Analyzer{},
	}
}
