"""URLs of the vocabulary API (under /api/v1/)."""

from django.urls import path

from . import api

urlpatterns = [
    path("words/", api.WordCollectionApi.as_view(), name="word-list"),
    path("words/<int:pk>/", api.WordDetailApi.as_view(), name="word-detail"),
    path("word-lists/", api.WordListCollectionApi.as_view(), name="wordlist-list"),
    path("word-lists/<int:pk>/", api.WordListDetailApi.as_view(), name="wordlist-detail"),
    path("word-lists/<int:pk>/words/", api.WordListWordsAddApi.as_view(), name="wordlist-words"),
    path("practice-sessions/", api.PracticeSessionStartApi.as_view(), name="practice-session-start"),
    path("practice-sessions/<uuid:session_id>/", api.PracticeSessionDetailApi.as_view(),
         name="practice-session-detail"),
    path("practice-sessions/<uuid:session_id>/answers/", api.PracticeAnswerCreateApi.as_view(),
         name="practice-session-answers"),
    path("practice-sessions/<uuid:session_id>/end/", api.PracticeSessionEndApi.as_view(),
         name="practice-session-end"),
]
